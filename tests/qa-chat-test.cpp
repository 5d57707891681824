// The chat-completions client against a real HTTP server on 127.0.0.1 started by the test: it checks the
// request (method, path, Authorization, JSON body with the program, the facts and the question) and
// answers; error paths: HTTP 401/500 with an error body, a server that never answers, malformed JSON.
// Also `parametrize --llm` naming through the same server, with its fallback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "cadrecode/edit/llm-names.h"
#include "cadrecode/edit/parametrize.h"
#include "cadrecode/qa/ask.h"
#include "cadrecode/qa/chat.h"
#include "cadrecode/qa/facts.h"

namespace cadrecode {
namespace {

using nlohmann::json;

struct Request {
    std::string method, path, body;
    std::map<std::string, std::string> headers;  // names lower-cased
};

struct Response {
    int status = 200;
    std::string body;
    bool hang = false;  // accept, read, never answer
};

// One-connection-at-a-time HTTP/1.1 server on an ephemeral loopback port.
class LoopbackServer {
public:
    explicit LoopbackServer(std::function<Response(const Request&)> handler) : handler_(std::move(handler)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
            throw std::runtime_error("bind");
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~LoopbackServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
    std::vector<Request> requests;

private:
    void serve() {
        while (!stop_) {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            Request rq;
            std::string data;
            char buf[8192];
            size_t header_end = std::string::npos, need = 0;
            while (true) {
                ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                data.append(buf, static_cast<size_t>(n));
                if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
                    std::string head = data.substr(0, header_end);
                    size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
                    rq.method = head.substr(0, sp1);
                    rq.path = head.substr(sp1 + 1, sp2 - sp1 - 1);
                    size_t at = head.find("\r\n");
                    while (at != std::string::npos) {
                        size_t next = head.find("\r\n", at + 2);
                        std::string line =
                            head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
                        size_t colon = line.find(':');
                        if (colon != std::string::npos) {
                            std::string name = line.substr(0, colon);
                            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                            rq.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
                        }
                        at = next;
                    }
                    need = rq.headers.count("content-length") ? std::stoul(rq.headers["content-length"]) : 0;
                }
                if (header_end != std::string::npos && data.size() >= header_end + 4 + need) break;
            }
            if (header_end != std::string::npos) rq.body = data.substr(header_end + 4);
            requests.push_back(rq);
            Response r = handler_(rq);
            if (r.hang) {
                while (!stop_ && ::recv(c, buf, sizeof buf, 0) > 0) {
                }
                ::close(c);
                continue;
            }
            std::string out =
                "HTTP/1.1 " + std::to_string(r.status) +
                " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
                "\r\nConnection: close\r\n\r\n" + r.body;
            ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
            ::close(c);
        }
    }

    std::function<Response(const Request&)> handler_;
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::string completion(const std::string& content) {
    return json{
        {"id", "x"},
        {"object", "chat.completion"},
        {"choices",
         {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}}}
        .dump();
}

qa::ChatConfig config_for(const LoopbackServer& s) {
    qa::ChatConfig c;
    c.base_url = s.base_url();
    c.model = "test-model";
    c.api_key = "sk-test";
    c.timeout_s = 5;
    return c;
}

const char* kPlate =
    "import cadquery as cq\nw0=cq.Workplane('XY',origin=(0,0,0))\n"
    "r=w0.sketch().rect(40,20).push([(-10,0),(10,0)]).circle(3,mode='s').finalize().extrude(5)\n";

TEST(Chat, AskSendsProgramFactsAndQuestion) {
    LoopbackServer server([](const Request& rq) {
        if (rq.method != "POST" || rq.path != "/v1/chat/completions")
            return Response{404, R"({"error":{"message":"bad path"}})"};
        if (rq.headers.count("authorization") == 0 || rq.headers.at("authorization") != "Bearer sk-test")
            return Response{401, R"({"error":{"message":"bad key"}})"};
        json j = json::parse(rq.body);
        if (j["model"] != "test-model") return Response{400, R"({"error":{"message":"bad model"}})"};
        return Response{200, completion("2 through holes")};
    });
    std::string facts = qa::compute_facts_json(kPlate);
    std::string answer = qa::ask(config_for(server), kPlate, facts, "How many through holes does this part have?");
    EXPECT_EQ(answer, "2 through holes");
    ASSERT_EQ(server.requests.size(), 1u);
    const Request& rq = server.requests[0];
    EXPECT_EQ(rq.headers.at("content-type"), "application/json");
    json body = json::parse(rq.body);
    ASSERT_EQ(body["messages"].size(), 2u);
    EXPECT_EQ(body["messages"][0]["role"], "system");
    EXPECT_EQ(body["messages"][1]["role"], "user");
    std::string user = body["messages"][1]["content"];
    EXPECT_NE(user.find(kPlate), std::string::npos);
    EXPECT_NE(user.find("How many through holes does this part have?"), std::string::npos);
    EXPECT_NE(user.find("\"through_holes\": 2"), std::string::npos) << user;
    EXPECT_NE(user.find(facts), std::string::npos);
}

TEST(Chat, HttpErrorsCarryStatusAndServerMessage) {
    for (int status : {401, 500}) {
        LoopbackServer server([status](const Request&) {
            return Response{status,
                            R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})"};
        });
        try {
            qa::chat_complete(config_for(server), {{"user", "hi"}});
            FAIL() << "expected ChatError";
        } catch (const qa::ChatError& e) {
            EXPECT_EQ(e.http_status(), status);
            std::string m = e.what();
            EXPECT_NE(m.find("HTTP " + std::to_string(status)), std::string::npos) << m;
            EXPECT_NE(m.find("Incorrect API key provided"), std::string::npos) << m;
            EXPECT_NE(m.find("/v1/chat/completions"), std::string::npos) << m;
        }
    }
}

TEST(Chat, ServerThatNeverAnswersHitsTheTimeLimit) {
    LoopbackServer server([](const Request&) { return Response{200, "", true}; });
    qa::ChatConfig c = config_for(server);
    c.timeout_s = 0.5;
    auto t0 = std::chrono::steady_clock::now();
    try {
        qa::chat_complete(c, {{"user", "hi"}});
        FAIL() << "expected ChatError";
    } catch (const qa::ChatError& e) {
        EXPECT_EQ(e.http_status(), 0);
        EXPECT_NE(std::string(e.what()).find("time limit"), std::string::npos) << e.what();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(s, 3.0);
}

TEST(Chat, MalformedAnswers) {
    for (std::string body : {std::string("not json at all"), std::string(R"({"choices": []})"),
                             std::string(R"({"choices": [{"message": {"content": 7}}]})")}) {
        LoopbackServer server([body](const Request&) { return Response{200, body}; });
        EXPECT_THROW(qa::chat_complete(config_for(server), {{"user", "hi"}}), qa::ChatError) << body;
    }
}

TEST(Chat, NoServerListening) {
    qa::ChatConfig c;
    {
        LoopbackServer server([](const Request&) { return Response{}; });
        c = config_for(server);
    }  // closed: nothing listens on that port now
    EXPECT_THROW(qa::chat_complete(c, {{"user", "hi"}}), qa::ChatError);
}

TEST(LlmNames, AppliesAValidAnswer) {
    LoopbackServer server([](const Request& rq) {
        json j = json::parse(rq.body);
        std::string user = j["messages"][1]["content"];
        if (user.find("plate1_hole1_radius") == std::string::npos) return Response{400, "{}"};
        return Response{
            200, completion("```json\n{\"parameters\": [{\"name\": \"plate1_hole1_radius\", \"new_name\": "
                            "\"mount_hole_radius\", \"group\": \"mounting holes\"}, {\"name\": \"plate1_depth\", "
                            "\"new_name\": \"plate_thickness\"}]}\n```")};
    });
    edit::Parametrized p = edit::parametrize(kPlate);
    EXPECT_EQ(edit::improve_names_with_llm(p, config_for(server)), "");
    std::string prog = p.program();
    EXPECT_NE(prog.find("mount_hole_radius = 3"), std::string::npos) << prog;
    EXPECT_NE(prog.find("extrude(plate_thickness)"), std::string::npos) << prog;
    EXPECT_NE(prog.find("# mounting holes"), std::string::npos) << prog;
}

TEST(LlmNames, FallsBackOnBadAnswersAndErrors) {
    std::vector<Response> answers = {
        {200, completion("{\"parameters\": [{\"name\": \"plate1_depth\", \"new_name\": \"w0\"}]}")},   // program name
        {200, completion("{\"parameters\": [{\"name\": \"plate1_depth\", \"new_name\": \"for\"}]}")},  // keyword
        {200, completion("{\"parameters\": [{\"name\": \"no_such\", \"new_name\": \"x\"}]}")},         // unknown
        {200,
         completion(
             "{\"parameters\": [{\"name\": \"plate1_depth\", \"new_name\": \"plate1_rect1_width\"}]}")},  // duplicate
        {200, completion("I would call them a, b and c.")},
        {500, R"({"error":{"message":"overloaded"}})"},
    };
    for (const auto& a : answers) {
        LoopbackServer server([a](const Request&) { return a; });
        edit::Parametrized p = edit::parametrize(kPlate);
        std::string before = p.program();
        std::string why = edit::improve_names_with_llm(p, config_for(server));
        EXPECT_NE(why, "") << a.body;
        EXPECT_EQ(p.program(), before);
    }
}

}  // namespace
}  // namespace cadrecode
