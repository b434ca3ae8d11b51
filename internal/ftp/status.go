package ftp

// Reply codes the engine looks for (RFC 959 §4.2.2, RFC 2389, RFC 2428,
// RFC 3659). Their text varies from server to server; only the codes mean
// anything.
const (
	StatusReadySoon        = 120 // service ready in a few minutes
	StatusAboutToOpen      = 150 // file status okay; about to open the data connection
	StatusOK               = 200
	StatusNotNeeded        = 202 // command superfluous (PASS after a USER that needed none)
	StatusSystemStatus     = 211 // also FEAT's reply
	StatusDirectory        = 212 // STAT of a directory
	StatusFile             = 213 // SIZE, MDTM; STAT of a file (and of a directory, on many servers)
	StatusSystemType       = 215
	StatusReady            = 220
	StatusClosing          = 221
	StatusTransferComplete = 226
	StatusPassive          = 227
	StatusExtendedPassive  = 229
	StatusLoggedIn         = 230
	StatusAuthOK           = 234 // AUTH TLS accepted (RFC 2228)
	StatusFileActionOK     = 250
	StatusPathCreated      = 257 // MKD, PWD
	StatusNeedPassword     = 331
	StatusNeedAccount      = 332
	StatusPendingFurther   = 350 // REST, RNFR
	StatusNotAvailable     = 421 // service not available, closing the connection
	StatusCannotOpenData   = 425
	StatusSyntaxError      = 500
	StatusNotImplemented   = 502
	StatusParamNotImpl     = 504
)

// NotImplemented reports a refusal that says the server lacks the command
// (500, 502, 504), as opposed to refusing it for this file or this user.
func NotImplemented(err error) bool {
	re, ok := asReplyError(err)
	if !ok {
		return false
	}
	switch re.Reply.Code {
	case StatusSyntaxError, StatusNotImplemented, StatusParamNotImpl:
		return true
	}
	return false
}
