((call method: (identifier) @_m) @import
  (#any-of? @_m "require" "require_relative"))
