((variable_declaration value: (function_call prefix: (identifier) @_fn)) @import
  (#eq? @_fn "require"))
((function_call prefix: (identifier) @_fn) @import
  (#eq? @_fn "require"))
