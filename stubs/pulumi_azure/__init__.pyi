# Type stub for the package's __init__ only (stubs/README.md): the SDK's own top-level names, without the
# `if typing.TYPE_CHECKING:` block that imports all of its service packages. The one submodule the code uses is
# named here, so `pulumi_azure.compute` resolves as an attribute; it is read from the installed SDK and checked.
from . import _utilities as _utilities
from . import compute as compute
from ._inputs import *  # noqa: F403
from .provider import *  # noqa: F403
