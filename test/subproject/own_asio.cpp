// The application's own separate compilation of Asio, Asio.SSL and Beast:
// with RUNNINGHUB_COMPILE_ASIO=OFF the library leaves them to it, so they are
// defined once ("multiple definition" otherwise).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
