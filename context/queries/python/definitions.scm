; Python: tree-sitter-python v0.23.0.
(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class
(expression_statement (assignment left: (identifier) @name)) @definition.variable
(expression_statement (assignment left: (pattern_list (identifier) @name))) @definition.variable
