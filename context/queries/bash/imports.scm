((command name: (command_name (word) @_c)) @import
  (#any-of? @_c "source" "."))
