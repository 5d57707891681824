#include "cadrecode/cad/import.h"

#include <BRepBuilderAPI_Transform.hxx>
#include <BRepTools.hxx>
#include <BRep_Builder.hxx>
#include <IGESControl_Reader.hxx>
#include <Message.hxx>
#include <Message_Messenger.hxx>
#include <Message_Printer.hxx>
#include <STEPControl_Reader.hxx>
#include <Standard_Failure.hxx>
#include <TColStd_SequenceOfAsciiString.hxx>
#include <gp_Trsf.hxx>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "cadrecode/cad/export.h"
#include "cadrecode/util/files.h"
#include "occt.h"
#include "shape-impl.h"

namespace cadrecode::cad {

namespace {

// Keeps what OCCT's readers print on the default messenger (the STEP parser reports a syntax error with its
// line there, in colour, on stdout): the most severe message becomes part of our own error instead.
class MessageCollector : public Message_Printer {
public:
    std::string worst;
    Message_Gravity worst_gravity = Message_Trace;

protected:
    void send(const TCollection_AsciiString& text, const Message_Gravity gravity) const override {
        auto* self = const_cast<MessageCollector*>(this);  // Message_Printer::send is const
        if (gravity >= Message_Alarm && (self->worst.empty() || gravity > worst_gravity)) {
            self->worst = text.ToCString();
            self->worst_gravity = gravity;
        }
    }
};

// While alive, the default messenger prints only to `collector`; its own printers come back after.
class CapturedMessages {
public:
    CapturedMessages() : collector(new MessageCollector), saved_(Message::DefaultMessenger()->Printers()) {
        Message::DefaultMessenger()->ChangePrinters().Clear();
        Message::DefaultMessenger()->AddPrinter(collector);
    }
    ~CapturedMessages() { Message::DefaultMessenger()->ChangePrinters() = saved_; }
    CapturedMessages(const CapturedMessages&) = delete;
    CapturedMessages& operator=(const CapturedMessages&) = delete;

    // " (the reader says: <message>)", or nothing.
    std::string detail() const {
        std::string m = collector->worst;
        for (const char* junk : {"****", "\n"})
            for (size_t at; (at = m.find(junk)) != std::string::npos;) m.replace(at, std::strlen(junk), " ");
        const size_t a = m.find_first_not_of(' '), b = m.find_last_not_of(' ');
        return a == std::string::npos ? std::string() : " (the reader says: " + m.substr(a, b - a + 1) + ")";
    }

    Handle(MessageCollector) collector;

private:
    Message_SequenceOfPrinters saved_;
};

// A STEP length unit name (FileUnits: "MILLIMETRE", "CENTIMETRE", "INCH", ...) as OCCT's short name and
// millimetres per unit; unknown names count as millimetres.
std::pair<std::string, double> step_unit(std::string name) {
    for (char& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
    const std::pair<const char*, std::pair<const char*, double>> kUnits[] = {
        {"MILLI", {"MM", 1.0}},  {"CENTI", {"CM", 10.0}},  {"MICRO", {"UM", 1e-3}},
        {"KILO", {"KM", 1e6}},   {"INCH", {"INCH", 25.4}}, {"FOOT", {"FT", 304.8}},
        {"FEET", {"FT", 304.8}}, {"METRE", {"M", 1000.0}}, {"METER", {"M", 1000.0}}};
    for (const auto& [key, unit] : kUnits)
        if (name.find(key) != std::string::npos) return unit;
    return {"MM", 1.0};
}

template <class Reader>
TopoDS_Shape read_with(Reader& reader, const std::string& path, const char* format, std::string* unit) {
    CapturedMessages messages;
    if (reader.ReadFile(path.c_str()) != IFSelect_RetDone)
        throw std::runtime_error(path + ": not a readable " + format + " file" + messages.detail());
    double mm = 1.0;  // millimetres per unit of the file
    if constexpr (std::is_same_v<Reader, STEPControl_Reader>) {
        TColStd_SequenceOfAsciiString lengths, angles, solid_angles;
        reader.FileUnits(lengths, angles, solid_angles);
        const auto named = step_unit(lengths.IsEmpty() ? std::string() : lengths.First().ToCString());
        if (unit) *unit = named.first;
        mm = named.second;
    }
    if (reader.TransferRoots() == 0) throw std::runtime_error(path + ": the " + format + " file holds no shape");
    if (mm == 1.0) return reader.OneShape();
    // OCCT converted the numbers to millimetres: back to the file's own unit.
    gp_Trsf back;
    back.SetScale(gp_Pnt(0, 0, 0), 1.0 / mm);
    return BRepBuilderAPI_Transform(reader.OneShape(), back, true).Shape();
}

}  // namespace

const std::vector<std::string>& cad_extensions() {
    static const std::vector<std::string> kinds{".step", ".stp", ".iges", ".igs", ".brep"};
    return kinds;
}

bool is_cad_file(const std::string& path) {
    const std::string e = util::lower_extension(path);
    return std::find(cad_extensions().begin(), cad_extensions().end(), e) != cad_extensions().end();
}

Shape read_cad_file(const std::string& path, std::string* unit) {
    if (unit) *unit = "MM";
    if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such file");
    std::string e = util::lower_extension(path);
    TopoDS_Shape s;
    try {
        if (e == ".step" || e == ".stp") {
            STEPControl_Reader r;
            s = read_with(r, path, "STEP", unit);
        } else if (e == ".iges" || e == ".igs") {
            IGESControl_Reader r;
            s = read_with(r, path, "IGES", nullptr);
        } else if (e == ".brep") {
            BRep_Builder b;
            if (!BRepTools::Read(s, path.c_str(), b)) throw std::runtime_error(path + ": not a readable BREP file");
        } else {
            throw std::runtime_error(path + ": unknown CAD file extension '" + e +
                                     "' (expected .step .stp .iges .igs .brep)");
        }
    } catch (const Standard_Failure& f) {
        throw std::runtime_error(path + ": " + describe_occt_failure("reading", f));
    }
    if (s.IsNull()) throw std::runtime_error(path + ": the file holds no shape");
    return Shape(std::make_unique<Shape::Impl>(Shape::Impl{s}));
}

geometry::Mesh read_cad_mesh(const std::string& path, std::string* unit) {
    return tessellate(read_cad_file(path, unit));
}

}  // namespace cadrecode::cad
