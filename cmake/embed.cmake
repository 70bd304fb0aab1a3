# fedihost_embed(OUT files...): generates OUT, a C++ file that defines
#   fedihost::embedded::find(name) -> the contents of a file, name relative to src/.
# Regenerated whenever one of the files changes.
function(fedihost_embed out)
  string(REPLACE ";" "|" files "${ARGN}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DROOT=${PROJECT_SOURCE_DIR}/src "-DFILES=${files}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_script.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed_script.cmake
    COMMENT "Embedding migrations and the OpenAPI document"
    VERBATIM)
endfunction()
