// SPDX-License-Identifier: BSL-1.0
// Built with BOOST_ASIO_NO_DEPRECATED, which the library was not: must fail to
// link, naming the macro (test/CMakeLists.txt, asio_config_mismatch).
#include <runninghub/error.hpp>

int main() { return 0; }
