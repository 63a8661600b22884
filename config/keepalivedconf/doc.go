// Package keepalivedconf reads keepalived.conf files and converts them to halvs' HCL.
//
// The reader follows keepalived's own parser (lib/parser.c): '#' and '!' comments, blocks in
// braces that may open on the keyword's line or the next, double-quoted words, include
// directives with globs resolved from the including file's directory, '@id' conditional
// lines, $NAME=VALUE parameters (multi-line ones too) with $NAME and ${NAME} expansion,
// keepalived's predefined ${_PWD}, ${_INSTANCE}, ${_RANDOM}, ${_ENV}, ${_HASH}, ${_BANG},
// and ~SEQ / ~LST loops. Every statement keeps the file and line it came from.
//
// The converter maps that tree onto the HCL schema of package config: same block and keyword
// names, old names replaced by current ones, bare flags as booleans, virtual and real servers
// labelled "ADDR:PORT". A keyword halvs cannot carry over is left out of the output and
// reported at its keepalived file and line: a warning when cosmetic (process tuning, SNMP,
// DBus, e-mail), an error that names its consequence when behaviour is lost (loss.go).
// ConvertFiles writes one HCL file per keepalived file, joined by HCL includes (layout.go);
// ConvertFlat and ConvertFiles keep the input's comments.
package keepalivedconf
