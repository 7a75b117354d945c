# SPDX-License-Identifier: BSL-1.0
# runninghub.pc for builds without CMake (`pkg-config --cflags --libs runninghub`).
# Relocatable: the prefix is found from the file's own place (${pcfiledir}).
# The public headers use Boost.JSON and Boost.URL, so their libraries are
# always linked; OpenSSL only through the static library.
file(RELATIVE_PATH runninghub_pc_to_prefix
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" runninghub_pc_to_prefix "${runninghub_pc_to_prefix}")
if(runninghub_type STREQUAL "SHARED_LIBRARY")
  set(runninghub_pc_requires Requires.private)
else()
  set(runninghub_pc_requires Requires)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/runninghub.pc.in ${PROJECT_BINARY_DIR}/runninghub.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/runninghub.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
