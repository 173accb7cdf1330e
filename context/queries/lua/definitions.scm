; Lua: tjdevries/tree-sitter-lua acb3f36. "function M.f" and "function M:f" are indexed
; under their last name segment, which is what a call site spells. Assignments to fields
; ("M.x = 1") are not definitions of a name.
(function_statement name: (identifier) @name) @definition.function
(function_statement name: (function_name (identifier) @name .)) @definition.function
(variable_declaration
  name: (variable_declarator . (identifier) @name .)
  value: (function)) @definition.function
(variable_declaration name: (variable_declarator . (identifier) @name .)) @definition.variable
