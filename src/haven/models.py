"""Every domain's tables, gathered so Alembic and the model/migration check see one metadata."""

from haven.access import alerts as _access_alerts  # noqa: F401
from haven.access import models as _access  # noqa: F401
from haven.db import Base
from haven.disclosure import models as _disclosure  # noqa: F401
from haven.disclosure.policy import models as _disclosure_policy  # noqa: F401
from haven.ledger import models as _ledger  # noqa: F401
from haven.notify import models as _notify  # noqa: F401
from haven.scheduling import models as _scheduling  # noqa: F401
from haven.scheduling import waitlist_models as _scheduling_queue  # noqa: F401
from haven.vault import models as _vault  # noqa: F401

metadata = Base.metadata
