// Self-contained HTML views of an input and its reconstruction (cadrecode/report/view.h).
#include "cadrecode/report/view.h"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cadrecode/cad/guard.h"
#include "cadrecode/cad/iou.h"
#include "cadrecode/geometry/normalization.h"
#include "cadrecode/geometry/sampling.h"
#include "cadrecode/io/mesh-io.h"
#include "cadrecode/io/point-cloud-io.h"
#include "cadrecode/recon/reconstruct.h"
#include "cadrecode/util/files.h"

namespace cadrecode::report {

namespace {

std::string html_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                o += "&amp;";
                break;
            case '<':
                o += "&lt;";
                break;
            case '>':
                o += "&gt;";
                break;
            case '"':
                o += "&quot;";
                break;
            default:
                o += c;
        }
    }
    return o;
}

// One frame for both sets: the centre of the box around both to 0, its longest side to 2. Both views use it
// with one scale, so relative size and position are kept.
struct PageFrame {
    geometry::Vec3 centre{0, 0, 0};
    double k = 1;
    double radius = 1;  // the farthest mapped point from 0: the views fit it whatever the rotation
};

PageFrame page_frame(const std::vector<geometry::Vec3>& a, const std::vector<geometry::Vec3>& b) {
    std::vector<geometry::Vec3> all(a);
    all.insert(all.end(), b.begin(), b.end());
    PageFrame f;
    if (all.empty()) return f;
    const geometry::Box3 box = geometry::bounding_box(all);
    double ext = 0;
    for (int i = 0; i < 3; ++i) {
        ext = std::max(ext, box.max[i] - box.min[i]);
        f.centre[i] = 0.5 * (box.min[i] + box.max[i]);
    }
    f.k = ext > 0 ? 2.0 / ext : 1.0;
    f.radius = 0;
    for (const auto& p : all) {
        double r2 = 0;
        for (int i = 0; i < 3; ++i) r2 += ((p[i] - f.centre[i]) * f.k) * ((p[i] - f.centre[i]) * f.k);
        f.radius = std::max(f.radius, std::sqrt(r2));
    }
    if (!(f.radius > 0)) f.radius = 1;
    return f;
}

// Coordinates in the page frame, 4 decimals.
void append_coords(std::ostringstream& s, const std::vector<geometry::Vec3>& pts, const PageFrame& f) {
    s << '[';
    char buf[32];
    bool first = true;
    for (const auto& p : pts)
        for (int i = 0; i < 3; ++i) {
            std::snprintf(buf, sizeof buf, "%s%.4f", first ? "" : ",", (p[i] - f.centre[i]) * f.k);
            s << buf;
            first = false;
        }
    s << ']';
}

const char* kStyle = R"(
body{font-family:sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 10px}
.views{display:flex;gap:16px;flex-wrap:wrap}
.view{border:1px solid #ccc;background:#fafafa}
.view h2{font-size:14px;margin:4px 8px}
canvas{display:block;cursor:grab}
table{border-collapse:collapse;margin:12px 0}
td{border:1px solid #ddd;padding:3px 8px;font-size:13px}
pre{background:#f4f4f4;padding:8px;font-size:12px;white-space:pre-wrap;word-break:break-all;max-width:1200px}
.note{font-size:12px;color:#666}
)";

// The renderer: rotation shared by both canvases, one scale for both (the page frame's radius fits the
// canvas whatever the rotation), points as depth-shaded dots, triangles painted back to front with
// two-sided Lambert shading, the input's points overlaid on the solid. The camera is right-handed: screen
// right x screen up = towards the viewer (rot() returns right, up, towards).
const char* kScript = R"(
(function(){
var D=window.CADRECODE_VIEW, yaw=D.yaw, pitch=D.pitch;
function rot(x,y,z){var cy=Math.cos(yaw),sy=Math.sin(yaw),cp=Math.cos(pitch),sp=Math.sin(pitch);
  var x1=cy*x+sy*y, y1=-sy*x+cy*y; return [x1, cp*z-sp*y1, -(sp*z+cp*y1)];}
function clear(c){var g=c.getContext('2d');g.fillStyle='#fafafa';g.fillRect(0,0,c.width,c.height);return g;}
function scale(c){return c.width*0.46/D.radius;}
function overlay(c,p){if(!document.getElementById('overlay').checked)return;var g=c.getContext('2d'),n=p.length/3,
  s=scale(c),cx=c.width/2,cy=c.height/2;g.fillStyle='rgba(40,40,40,0.35)';
  for(var i=0;i<n;i++){var r=rot(p[3*i],p[3*i+1],p[3*i+2]);g.fillRect(cx+r[0]*s-0.75,cy-r[1]*s-0.75,1.5,1.5);}}
function drawPoints(c,p){var g=clear(c),n=p.length/3,s=scale(c),cx=c.width/2,cy=c.height/2,a=[];
  for(var i=0;i<n;i++){var r=rot(p[3*i],p[3*i+1],p[3*i+2]);a.push(r);}
  a.sort(function(u,v){return u[2]-v[2];});
  for(var i=0;i<a.length;i++){var t=(a[i][2]+1.2)/2.4;t=Math.max(0,Math.min(1,t));
    g.fillStyle='rgb('+Math.round(20+60*t)+','+Math.round(70+90*t)+','+Math.round(170+70*t)+')';
    g.fillRect(cx+a[i][0]*s-1.5,cy-a[i][1]*s-1.5,3,3);}
  return n;}
function drawMesh(c,v,t){var g=clear(c),s=scale(c),cx=c.width/2,cy=c.height/2,n=v.length/3,q=[],tri=[];
  if(t.length==0){g.fillStyle='#a00';g.font='16px sans-serif';g.fillText('no solid (invalid program)',20,30);return 0;}
  for(var i=0;i<n;i++)q.push(rot(v[3*i],v[3*i+1],v[3*i+2]));
  for(var i=0;i<t.length;i+=3){var A=q[t[i]],B=q[t[i+1]],C=q[t[i+2]];
    var ux=B[0]-A[0],uy=B[1]-A[1],uz=B[2]-A[2],wx=C[0]-A[0],wy=C[1]-A[1],wz=C[2]-A[2];
    var nx=uy*wz-uz*wy,ny=uz*wx-ux*wz,nz=ux*wy-uy*wx,l=Math.sqrt(nx*nx+ny*ny+nz*nz)||1;
    var sh=Math.abs(0.3*nx+0.5*ny+0.81*nz)/l;tri.push([(A[2]+B[2]+C[2])/3,A,B,C,sh]);}
  tri.sort(function(a,b){return a[0]-b[0];});
  for(var i=0;i<tri.length;i++){var T=tri[i],k=0.35+0.65*T[4];
    var col='rgb('+Math.round(235*k)+','+Math.round(140*k)+','+Math.round(40*k)+')';
    g.fillStyle=col;g.strokeStyle=col;g.lineWidth=0.6;g.beginPath();
    g.moveTo(cx+T[1][0]*s,cy-T[1][1]*s);g.lineTo(cx+T[2][0]*s,cy-T[2][1]*s);g.lineTo(cx+T[3][0]*s,cy-T[3][1]*s);
    g.closePath();g.fill();g.stroke();}
  return tri.length;}
var ci=document.getElementById('input'),cs=document.getElementById('solid');
function draw(){var a=drawPoints(ci,D.points),b=drawMesh(cs,D.vertices,D.triangles);overlay(cs,D.points);
  document.getElementById('stats').textContent='renderer: canvas 2D; '+a+' points, '+b+' triangles drawn';}
var drag=null;
[ci,cs].forEach(function(c){
  c.addEventListener('mousedown',function(e){drag=[e.clientX,e.clientY];});
  c.addEventListener('wheel',function(e){e.preventDefault();});});
window.addEventListener('mouseup',function(){drag=null;});
window.addEventListener('mousemove',function(e){if(!drag)return;yaw+=(e.clientX-drag[0])*0.01;
  pitch+=(e.clientY-drag[1])*0.01;pitch=Math.max(-1.57,Math.min(1.57,pitch));drag=[e.clientX,e.clientY];draw();});
document.getElementById('overlay').addEventListener('change',draw);
document.body.setAttribute('data-renderer','canvas2d');
draw();
})();
)";

}  // namespace

std::string view_html(const ViewData& d) {
    std::ostringstream s;
    s << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(d.title)
      << "</title>\n<style>" << kStyle << "</style></head>\n<body data-renderer=\"none\">\n";
    s << "<h1>" << html_escape(d.title) << "</h1>\n";
    s << "<div class=\"views\"><div class=\"view\"><h2>input point cloud (" << d.input.size()
      << " points)</h2><canvas id=\"input\" width=\"560\" height=\"560\"></canvas></div>\n";
    s << "<div class=\"view\"><h2>reconstructed solid (" << d.solid.triangles.size()
      << " triangles)</h2><canvas id=\"solid\" width=\"560\" height=\"560\"></canvas></div></div>\n";
    s << "<p class=\"note\">Both views share one frame and one scale; Z is up, seen from above at first. Drag "
         "either view to rotate both. <label><input type=\"checkbox\" id=\"overlay\" checked> input points over the "
         "solid</label> <span id=\"stats\">renderer: none (JavaScript did not run)</span></p>\n";
    s << "<table>\n";
    for (const auto& [k, v] : d.metrics)
        s << "<tr><td>" << html_escape(k) << "</td><td>" << html_escape(v) << "</td></tr>\n";
    s << "</table>\n<h2>program</h2>\n<pre id=\"program\">" << html_escape(d.program) << "</pre>\n";
    const PageFrame f = page_frame(d.input.points, d.solid.vertices);
    char camera[160];
    std::snprintf(camera, sizeof camera, "\"yaw\":%.6f,\"pitch\":%.6f,\"radius\":%.6f,", d.yaw, d.pitch, f.radius);
    s << "<script>window.CADRECODE_VIEW={" << camera << "\"points\":";
    append_coords(s, d.input.points, f);
    s << ",\"vertices\":";
    append_coords(s, d.solid.vertices, f);
    s << ",\"triangles\":[";
    bool first = true;
    for (const auto& t : d.solid.triangles)
        for (int i = 0; i < 3; ++i) {
            s << (first ? "" : ",") << t[i];
            first = false;
        }
    s << "]};</script>\n<script>" << kScript << "</script>\n</body></html>\n";
    return s.str();
}

namespace {

// A temporary file name, unique per process and call (pid + atomic counter), removed on every path out.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& prefix, const std::string& ext) {
        static std::atomic<unsigned> counter{0};
        path = (std::filesystem::temp_directory_path() /
                (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ext))
                   .string();
    }
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
};

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

}  // namespace

namespace {

double box_iou(const geometry::Box3& a, const geometry::Box3& b) {
    double inter = 1, va = 1, vb = 1;
    for (int i = 0; i < 3; ++i) {
        inter *= std::max(0.0, std::min(a.max[i], b.max[i]) - std::max(a.min[i], b.min[i]));
        va *= std::max(0.0, a.max[i] - a.min[i]);
        vb *= std::max(0.0, b.max[i] - b.min[i]);
    }
    const double uni = va + vb - inter;
    return uni > 0 ? inter / uni : 0;
}

// The solid as executed, from the +-100 model frame into the input's normalised frame (/100).
geometry::Mesh in_model_frame(geometry::Mesh m) {
    for (auto& v : m.vertices)
        for (double& x : v) x /= refine::kProgramFrame;
    return m;
}

}  // namespace

ViewData make_view(const std::string& input_path, const std::string& program_path, const ViewOptions& options) {
    return make_view_of_text(input_path, util::read_file(program_path), program_path, options);
}

ViewData make_view_of_text(const std::string& input_path, const std::string& program, const std::string& program_name,
                           const ViewOptions& options) {
    if (options.frame != "auto" && options.frame != "model" && options.frame != "input")
        throw std::invalid_argument("view: frame: expected auto, model or input, got \"" + options.frame + "\"");
    ViewData d;
    d.title = std::filesystem::path(program_name).filename().string() + " for " +
              std::filesystem::path(input_path).filename().string();
    // The same reader, frame and reference points as `cadrecode reconstruct`.
    recon::Input input = recon::read_input(input_path);
    const bool is_mesh = input.is_mesh();
    const geometry::Normalization frame =
        is_mesh ? geometry::reference_normalization(input.mesh) : geometry::reference_normalization(input.cloud.points);
    // Points shown: a seeded sampling of a mesh, or an even stride through a cloud; in the input's frame.
    if (is_mesh) {
        d.input = geometry::sample_surface(input.mesh, options.points, options.seed);
    } else {
        size_t n = input.cloud.points.size(), k = std::min(n, options.points);
        for (size_t i = 0; i < k; ++i) d.input.points.push_back(input.cloud.points[i * n / k]);
    }
    d.input.points = frame.apply(d.input.points);
    d.program = program;

    // The program runs in an isolated worker that writes the reference tessellation as STL.
    // (the STL goes to the temporary directory: the program's own directory may be read-only)
    TempFile tmp("cadrecode-view", ".stl");
    const std::string& stl = tmp.path;
    cad::GuardOptions go;
    go.exec.time_limit_s = options.time_limit_s;
    cad::JobOutcome o = cad::run_guarded({cad::Job{program_name, d.program, "", stl}}, go).at(0);
    d.metrics.push_back({"program", program_name});
    d.metrics.push_back({"input", input_path + (is_mesh ? " (mesh)" : " (point cloud)")});
    d.metrics.push_back({"validity", o.result.valid() ? "valid"
                                                      : std::string("invalid: ") + cad::verdict_name(o.result.verdict) +
                                                            ": " + o.result.error_text()});
    if (!o.result.valid() || !std::filesystem::exists(stl)) return d;
    const geometry::Mesh raw = io::read_stl(stl);
    const auto& p = o.result.props;
    d.metrics.push_back({"volume", fmt("%.3f", p.volume)});
    d.metrics.push_back({"bodies, faces, triangles", std::to_string(p.solids) + ", " + std::to_string(p.faces) + ", " +
                                                         std::to_string(p.triangles)});
    // Which numbers the program holds: the reading whose box matches the input's box in its frame best.
    const geometry::Box3 target =
        geometry::bounding_box(is_mesh ? frame.apply(input.mesh).vertices : frame.apply(input.cloud.points));
    geometry::Mesh as_model = in_model_frame(raw), as_input = frame.apply(raw);
    bool input_units = options.frame == "input";
    if (options.frame == "auto")
        input_units =
            box_iou(geometry::bounding_box(as_input), target) > box_iou(geometry::bounding_box(as_model), target);
    d.solid = input_units ? std::move(as_input) : std::move(as_model);
    d.metrics.push_back(
        {"program frame", std::string(input_units ? "the input's units and position" : "the model's +-100 frame") +
                              (options.frame == "auto" ? " (detected)" : "")});
    // The distance reconstruct prints, with its floor (the input against a second sampling of itself).
    const std::vector<geometry::Vec3> reference = recon::reference_points(input, frame, 8192, options.seed);
    d.metrics.push_back({"CD x1000 to the input (input's frame, as reconstruct prints it)",
                         fmt("%.4f", recon::cd_to_input(d.solid, reference, options.seed))});
    if (is_mesh)
        d.metrics.push_back({"floor of that CD (the input against itself)",
                             fmt("%.4f", recon::cd_to_input(frame.apply(input.mesh), reference, options.seed + 1))});
    if (is_mesh && options.iou) {
        const cad::IouResult ir = cad::iou(d.solid, frame.apply(input.mesh));
        if (ir.ok())
            d.metrics.push_back({"IoU (%) in the input's frame", fmt("%.2f", ir.iou() * 100)});
        else
            d.metrics.push_back({"IoU", "not computed: " + ir.message});
    }
    return d;
}

void write_view(const std::string& input_path, const std::string& program_path, const std::string& out_path,
                const ViewOptions& options) {
    util::write_file_atomic(out_path, view_html(make_view(input_path, program_path, options)));
}

}  // namespace cadrecode::report
