// Contracts do not see usage: the invoicing domain brings them together. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/contracts/contracts.h"
#ifndef LAYERING_CONTROL
#include "engine/usage/usage.h"  // must not compile
#endif
