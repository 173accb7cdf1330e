; JavaScript: tree-sitter-javascript v0.21.4. Arrow functions and function expressions bound
; to a name are functions; the more specific pattern comes first and wins (query.go keeps
; the first pattern per definition node).
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (identifier) @name) @definition.class
(method_definition name: (property_identifier) @name) @definition.method
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function
(variable_declarator name: (identifier) @name) @definition.variable
