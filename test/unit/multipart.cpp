// SPDX-License-Identifier: BSL-1.0
// The emulator's incremental multipart reader: any chunking gives the same parts.
#include "emulator/multipart.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <random>

using runninghub::detail::multipart_part;
using runninghub::detail::multipart_reader;

namespace {

struct collected {
    std::map<std::string, std::string> fields;  // name -> data
    std::map<std::string, std::string> files;   // name -> filename
    int ends = 0;
};

bool read_in_chunks(std::string_view content_type, std::string_view body, std::size_t chunk, collected& out,
                    std::string* error = nullptr) {
    std::string current;
    multipart_reader r(content_type, {[&](const multipart_part& p) {
                                          current = p.name;
                                          if (!p.filename.empty())
                                              out.files[p.name] = p.filename;
                                          return true;
                                      },
                                      [&](const char* d, std::size_t n) {
                                          out.fields[current].append(d, n);
                                          return true;
                                      },
                                      [&] {
                                          ++out.ends;
                                          return true;
                                      }});
    for (std::size_t at = 0; at < body.size(); at += chunk)
        if (!r.feed(body.data() + at, std::min(chunk, body.size() - at))) {
            if (error)
                *error = r.error();
            return false;
        }
    return r.done();
}

const std::string type = "multipart/form-data; boundary=XyZ";

std::string body_with(std::string_view file) {
    std::string b = "--XyZ\r\nContent-Disposition: form-data; name=\"apiKey\"\r\n\r\nkey123\r\n";
    b += "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.png\"\r\nContent-Type: image/png\r\n\r\n";
    b.append(file);
    b += "\r\n--XyZ--\r\n";
    return b;
}

} // namespace

BOOST_AUTO_TEST_SUITE(multipart)

BOOST_AUTO_TEST_CASE(every_chunking_reads_the_same_parts) {
    // Data that contains near-delimiters, CRLFs and the boundary text itself.
    std::string file = "\r\n--XY\r--XyZ-not\r\n-XyZ\r\r\n--Xy";
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i)
        file += static_cast<char>(rng());
    auto body = body_with(file);
    for (std::size_t chunk : {1u, 2u, 3u, 5u, 7u, 64u, 1000u, 100000u}) {
        collected c;
        std::string error;
        BOOST_TEST_REQUIRE(read_in_chunks(type, body, chunk, c, &error), "chunk " << chunk << ": " << error);
        BOOST_TEST(c.fields["apiKey"] == "key123");
        BOOST_TEST(c.fields["file"] == file, "chunk " << chunk);
        BOOST_TEST(c.files["file"] == "a b.png");
        BOOST_TEST(c.ends == 2);
    }
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_refused) {
    collected c;
    std::string error;
    BOOST_TEST(!read_in_chunks("application/json", body_with("x"), 10, c));
    BOOST_TEST(multipart_reader::boundary_of("multipart/form-data; boundary=\"q r\"") == "q r");
    BOOST_TEST(multipart_reader::boundary_of("text/plain; boundary=a").empty());
    std::string no_name = "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--";
    BOOST_TEST(!read_in_chunks(type, no_name, 4, c, &error));
    BOOST_TEST(error == "a part has no name");
    std::string unterminated = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxxxx";
    BOOST_TEST(!read_in_chunks(type, unterminated, 4, c));  // not done
}

BOOST_AUTO_TEST_SUITE_END()
