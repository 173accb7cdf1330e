; Bash: tree-sitter-bash v0.21.0.
(function_definition name: (word) @name) @definition.function
(variable_assignment name: (variable_name) @name) @definition.variable
