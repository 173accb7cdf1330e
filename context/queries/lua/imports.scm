; "local x = require(...)" and a bare require(...) statement at top level.
((variable_declaration value: (function_call prefix: (identifier) @_fn)) @import
  (#eq? @_fn "require"))
((program (function_call prefix: (identifier) @_fn) @import)
  (#eq? @_fn "require"))
