/* version.h - the tool's version, stamped into every backup record and object. */
#ifndef RA_COMMON_VERSION_H
#define RA_COMMON_VERSION_H
#define RA_VERSION "0.1.0"
#endif
