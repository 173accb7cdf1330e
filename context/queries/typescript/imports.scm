(import_statement) @import
((lexical_declaration
  (variable_declarator value: (call_expression function: (identifier) @_fn))) @import
  (#eq? @_fn "require"))
