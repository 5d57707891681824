#include "cadrecode/util/files.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cadrecode::util {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open for reading: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw std::runtime_error(path + ": read error");
    return ss.str();
}

namespace {

// The one folder walk: regular files in `dir` (and below it when `recursive`) whose lower-cased extension is
// one of `extensions` (every file when it is empty), sorted by path.
std::vector<std::string> walk(const std::string& dir, bool recursive, const std::vector<std::string>& extensions) {
    namespace fs = std::filesystem;
    std::vector<std::string> found;
    auto keep = [&](const fs::directory_entry& e) {
        std::error_code type_ec;
        if (!e.is_regular_file(type_ec)) return;
        const std::string path = e.path().string();
        if (extensions.empty() ||
            std::find(extensions.begin(), extensions.end(), lower_extension(path)) != extensions.end())
            found.push_back(path);
    };
    std::error_code ec;
    if (recursive) {
        for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            keep(*it);
    } else {
        for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
            keep(*it);
    }
    if (ec) throw std::runtime_error(dir + ": cannot list the folder: " + ec.message());
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace

std::vector<std::string> find_files(const std::vector<std::string>& inputs, const std::vector<std::string>& extensions,
                                    bool empty_ok) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    for (const std::string& in : inputs) {
        std::error_code ec;
        if (fs::is_directory(in, ec)) {
            std::vector<std::string> found = walk(in, true, extensions);
            if (found.empty() && !empty_ok) {
                std::string names;
                for (std::size_t k = 0; k < extensions.size(); ++k)
                    names += (k == 0 ? "" : k + 1 == extensions.size() ? " or " : ", ") + extensions[k];
                throw std::runtime_error(in + ": no " + names + " files in this folder");
            }
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::exists(in, ec)) {
            files.push_back(in);
        } else {
            throw std::runtime_error(in + ": no such file or folder");
        }
    }
    return files;
}

std::vector<std::string> list_folder(const std::string& dir, const std::vector<std::string>& extensions) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw std::runtime_error(dir + ": not a folder");
    return walk(dir, false, extensions);
}

std::string lower_extension(const std::string& path) {
    std::string e = std::filesystem::path(path).extension().string();
    for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

std::string temp_path_for(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

void commit_temp(const std::string& tmp, const std::string& path) {
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot rename temporary file into place: " + std::strerror(err));
    }
}

void write_program_file(const std::string& path, const std::string& program) {
    if (program.empty() || program.back() == '\n') return write_file_atomic(path, program);
    write_file_atomic(path, program + "\n");
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
    std::string tmp = temp_path_for(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error(path + ": cannot open for writing: " + std::strerror(errno));
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw std::runtime_error(path + ": write error");
        }
    }
    commit_temp(tmp, path);
}

}  // namespace cadrecode::util
