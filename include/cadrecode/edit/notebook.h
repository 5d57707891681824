// A Jupyter notebook (nbformat 4.5) for a parametrised program: a Markdown cell with the parameter table,
// a code cell holding exactly the .py program (parameters at their defaults), and a code cell where
// ipywidgets sliders (one accordion section per group) rebuild the part with real CadQuery and display it.
#pragma once

#include <string>

#include "cadrecode/edit/parametrize.h"

namespace cadrecode::edit {

// The notebook as JSON text. `title` is shown in its first cell (usually the program's file name).
std::string notebook_json(const Parametrized& p, const std::string& title);

// The source of the interactive cell alone (a `build(**parameters)` function returning the part, the
// sliders, and interactive_output wiring them together).
std::string interactive_cell(const Parametrized& p);

}  // namespace cadrecode::edit
