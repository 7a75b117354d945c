// SPDX-License-Identifier: BSL-1.0
#define BOOST_TEST_MODULE runninghub integration tests
#include <boost/test/unit_test.hpp>
