// SPDX-License-Identifier: BSL-1.0
// The task registry (client/task_registry.hpp): RunningHub's 19-digit ids are
// kept as numbers (no heap copy per task, issue 12), every other id as a
// string; the two never name each other's task.

#include "client/task_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

using namespace runninghub;
using namespace runninghub::detail;

BOOST_AUTO_TEST_SUITE(task_registry_keys)

BOOST_AUTO_TEST_CASE(numeric_ids_are_numbers_and_others_strings) {
    BOOST_TEST(task_registry::numeric_key("1877265245566922753").value_or(0) == 1877265245566922753ull);
    BOOST_TEST(task_registry::numeric_key("9999999999999999999").value_or(0) == 9999999999999999999ull);
    BOOST_TEST(task_registry::numeric_key("0").value_or(1) == 0u);
    BOOST_TEST(!task_registry::numeric_key("0123"));                  // "0123" and "123" are two ids
    BOOST_TEST(!task_registry::numeric_key("18772652455669227530"));  // 20 digits: past 19
    BOOST_TEST(!task_registry::numeric_key("12a"));
    BOOST_TEST(!task_registry::numeric_key(""));
}

BOOST_AUTO_TEST_CASE(each_id_names_only_its_task) {
    boost::asio::io_context io;
    submit_gate gate(io.get_executor(), window_params{});
    latency_histogram latency;
    task_registry r(gate, latency);
    auto t0 = clock::now();
    for (const char* id : {"1877265245566922753", "123", "0123", "task-x", "18772652455669227530"})
        r.accepted(id, t0);
    BOOST_TEST(r.size() == 5u);
    BOOST_TEST(r.accepted_at("0123").has_value());
    BOOST_TEST(!r.accepted_at("1234").has_value());
    r.ended("123", true, t0);
    BOOST_TEST(!r.accepted_at("123").has_value());
    BOOST_TEST(r.accepted_at("0123").has_value());
    r.ended("123", true, t0);  // twice: nothing more
    r.ended("task-x", false, t0);
    r.ended("18772652455669227530", true, t0);
    BOOST_TEST(r.size() == 2u);
    BOOST_TEST(latency.count == 2u);  // only the ends seen, once each
    BOOST_TEST(r.accepted_at("1877265245566922753").has_value());
    gate.shutdown();
}

BOOST_AUTO_TEST_SUITE_END()
