#ifndef MISSIVE_CLIBXML2_SHIM_H
#define MISSIVE_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU, and libxml/encoding.h then includes the system ICU
   headers, whose UErrorCode clashes with Foundation's own ICU module (_FoundationICU) in any
   Swift file that imports both. Missive never uses libxml2's ICU converters (the only
   difference is two trailing pointers in xmlCharEncodingHandler, a struct it never touches),
   so the ICU parts of the headers are left out. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#endif
