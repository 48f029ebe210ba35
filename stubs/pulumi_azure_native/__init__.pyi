# Type stub for the package's __init__ only (stubs/README.md): the SDK's own top-level names, without the
# `if typing.TYPE_CHECKING:` block that imports all of its service packages. Every submodule the code imports
# (`from pulumi_azure_native import compute`) is still read from the installed SDK and checked in full.
from . import _utilities as _utilities
from .provider import *  # noqa: F403
