// SPDX-License-Identifier: BSL-1.0
// The application's own separate compilation of Asio (the case of issue 10):
// with RUNNINGHUB_COMPILE_ASIO=OFF the library leaves Asio's core to it and
// keeps Asio.SSL and Beast, so nothing is defined twice ("multiple definition").
#include <boost/asio/impl/src.hpp>
