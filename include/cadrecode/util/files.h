// Whole-file reading and crash-safe writing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::util {

// Reads a whole file. Throws std::runtime_error "<path>: <reason>" when it cannot.
std::string read_file(const std::string& path);

// Writes to "<path>.tmp.<pid>" and renames it over path, so a reader never sees a half-written file.
// Throws std::runtime_error "<path>: <reason>" when it cannot.
void write_file_atomic(const std::string& path, std::string_view bytes);

// A program as a .py file: write_file_atomic of its text plus a final newline when it lacks one (shards and
// the model keep the exact text, which in CAD-Recode's format has none).
void write_program_file(const std::string& path, const std::string& program);

// The file name's extension with its dot, lower-cased ("a/B.STL" -> ".stl"); "" when there is none.
std::string lower_extension(const std::string& path);

// The one directory walk: the files named by `inputs`, in their order. A file is taken as it is, whatever its
// extension; a folder is searched recursively for regular files whose lower-cased extension is one of
// `extensions` (".py", ".crs", with the dot), those of one folder sorted by path. Throws std::runtime_error
// "<input>: no such file or folder", "<input>: cannot list the folder: <why>", and, unless `empty_ok`, for a
// folder without such files "<input>: no .py files in this folder" (every extension named).
std::vector<std::string> find_files(const std::vector<std::string>& inputs, const std::vector<std::string>& extensions,
                                    bool empty_ok = false);

// The regular files directly in `dir` (not below it) whose lower-cased extension is one of `extensions` (every
// file when empty), sorted by path. Throws std::runtime_error "<dir>: not a folder" or "<dir>: cannot list the
// folder: <why>". find_files and list_folder share one walk.
std::vector<std::string> list_folder(const std::string& dir, const std::vector<std::string>& extensions = {});

// A fresh temporary path beside `path` for writers that need a file name (OCCT's STEP writer).
std::string temp_path_for(const std::string& path);
// Renames tmp over path; removes tmp and throws "<path>: <reason>" on failure.
void commit_temp(const std::string& tmp, const std::string& path);

}  // namespace cadrecode::util
