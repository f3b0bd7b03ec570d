// The documents' own headers are in reach; services' are not. The control
// build (LAYERING_CONTROL) proves that this file builds without the line below.
#include "documents/invoice_view.h"
#ifndef LAYERING_CONTROL
#include "services/server.h"  // must not compile: documents print what was issued
#endif
