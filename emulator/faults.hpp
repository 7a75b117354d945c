// SPDX-License-Identifier: BSL-1.0
#pragma once
// Fault injection (5xx, 429, busy codes, drops, delays, garbled answers) and
// the chaos accounting: every submit answer a fault destroyed, with or
// without a task behind it (the chaos test checks the client against it).

#include "answers.hpp"
#include "state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace runninghub::emu {

/// What becomes of the connection after a whole request.
enum class after_fault {
    answer,  // write the answer, keep-alive as asked
    close,   // write the answer with Connection: close
    drop,    // close without an answer
    answer_then_close,  // write the answer (keep-alive as asked), then close at once
    answer_twice,       // write the answer and, in the same segment, an unsolicited one
    interim_first,      // an interim 103 response, then the answer
};

/// The answer of an unsolicited_answer fault: a task nobody submitted.
std::string unsolicited_answer_text();

/// What an early_hints fault sends before the answer (a JSON answer or a file).
inline constexpr std::string_view early_hints_text = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";

class faults {
public:
    explicit faults(state& st) : st_(st), list_(st.opts.faults) {}

    void set(std::vector<fault> list);
    /// Picks at most one fault for this request; counted by kind.
    std::optional<fault> pick(std::string_view target);
    /// Fills `res` for the faults that answer without processing; false for the others.
    static bool answer_without_processing(const fault& f, response_t& res);
    /// Runs `process` (true: it created a task) under the fault picked for
    /// `req`, which may delay it, replace or garble its answer, or drop the connection.
    boost::asio::awaitable<after_fault> apply(const request_t& req, response_t& res, boost::beast::tcp_stream& lowest,
                                              std::function<bool()> process);

private:
    /// A submit's answer destroyed, with or without a task created behind it.
    void destroyed(bool create, bool created);

    state& st_;
    std::vector<fault> list_;  // guarded by the state's mutex
};

} // namespace runninghub::emu
