from . import models
from . import export
from . import wizards
