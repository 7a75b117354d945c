// SPDX-License-Identifier: BSL-1.0
#pragma once
// The log hook: silent unless a function is set; the API key is scrubbed from
// every line before it leaves.

#include <runninghub/options.hpp>

#include <string>
#include <string_view>

namespace runninghub::detail {

class logger {
public:
    logger(log_function fn, log_level threshold, std::string secret)
        : fn_(std::move(fn)), threshold_(threshold), secret_(std::move(secret)) {}

    bool enabled(log_level l) const noexcept { return fn_ && l >= threshold_; }

    void operator()(log_level l, std::string line) const {
        if (!enabled(l))
            return;
        if (!secret_.empty())
            for (auto p = line.find(secret_); p != std::string::npos; p = line.find(secret_, p))
                line.replace(p, secret_.size(), "***");
        fn_(l, line);
    }

private:
    log_function fn_;
    log_level threshold_;
    std::string secret_;
};

} // namespace runninghub::detail
