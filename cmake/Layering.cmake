# Each layer's headers are reachable only through its own include root, a
# folder holding one symlink named after the layer. A target that does not link
# a layer cannot include "engine/..." or "storage/...": a wrong include fails to
# build (tests/CMakeLists.txt proves it with targets that must not compile).
function(billing_include_root target layer)
  set(root "${CMAKE_BINARY_DIR}/include_roots/${layer}")
  file(MAKE_DIRECTORY "${root}")
  if(NOT EXISTS "${root}/${layer}")
    file(CREATE_LINK "${CMAKE_SOURCE_DIR}/${layer}" "${root}/${layer}" SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC "${root}")
endfunction()
