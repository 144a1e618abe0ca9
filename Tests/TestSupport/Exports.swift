// Tests that use the domain's doubles get the generic tools with them.
@_exported import TestTools
