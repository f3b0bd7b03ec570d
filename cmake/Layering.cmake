# Each layer's (and each engine domain's) headers are reachable only through
# its own include root: a build folder holding one symlink at the path the
# sources include it by. billing_include_root(target "engine/contracts") makes
# include_roots/engine_contracts/engine/contracts -> <source>/engine/contracts,
# so "engine/contracts/..." resolves only in targets that link that library.
# A wrong include fails to build (tests/layering proves it with targets that
# must not compile). PATH may name a folder or a single header.
function(billing_include_root target path)
  string(REPLACE "/" "_" name "${path}")
  string(REPLACE "." "_" name "${name}")
  set(root "${CMAKE_BINARY_DIR}/include_roots/${name}")
  get_filename_component(parent "${path}" DIRECTORY)
  file(MAKE_DIRECTORY "${root}/${parent}")
  if(NOT EXISTS "${root}/${path}")
    file(CREATE_LINK "${CMAKE_SOURCE_DIR}/${path}" "${root}/${path}" SYMBOLIC)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE "${root}")
  else()
    target_include_directories(${target} PUBLIC "${root}")
  endif()
endfunction()
