// Package config owns halvs' configuration: the HCL schema that reads like keepalived.conf,
// its defaults, its validation (every diagnostic names file:line:col) and the importer that
// turns a keepalived.conf into the equivalent HCL. It changes nothing outside the files it
// reads; with enable_script_security it also inspects (stats) the configured script paths.
package config
