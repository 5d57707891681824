# Warnings for every cadrecode target, set in one place.
function(cadrecode_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
