// The documents' own headers are in reach; the engine's are not: a document
// is printed from the issued InvoiceDocument alone, never from live state.
// The control build (LAYERING_CONTROL) proves that this file builds without
// the line below.
#include "documents/invoice_view.h"
#ifndef LAYERING_CONTROL
#include "engine/core/money.h"  // must not compile: documents may not see the engine
#endif
