// SPDX-License-Identifier: BSL-1.0
#pragma once
// Where the examples send their tasks: the real service when
// RUNNINGHUB_API_KEY is set (every task is paid for), otherwise an emulator
// inside the process, so that each example runs as it is, and as a test.

#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <cstdlib>
#include <optional>

namespace examples {

struct service {
    std::optional<runninghub::emulator> emulator;
    runninghub::client_options options;

    explicit service(runninghub::emulator_options eo = {}) {
        if (const char* key = std::getenv("RUNNINGHUB_API_KEY"); key && *key) {
            options = runninghub::client_options::from_env();
        } else {
            emulator.emplace(std::move(eo));
            options = emulator->make_client_options();
        }
    }
};

} // namespace examples
