// Package ftp is gftp's FTP protocol engine, written from RFC 959, 2228,
// 2389, 2428, 3659 and 4217: the control connection, the reply reader,
// data connections in the four ways (EPSV, PASV, EPRT, PORT) and the
// parsers for listings.
//
// We own it rather than use github.com/jlaffaye/ftp because that library
// has no active mode and no raw commands, and active mode is the heart of
// our users' problem (a server firewall that admits only ports 20 and 21).
package ftp
