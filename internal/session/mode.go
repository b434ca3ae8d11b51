package session

import (
	"fmt"
	"strings"

	"github.com/gftp/gftp/internal/ftp"
)

// Mode is the data-connection policy.
type Mode int

const (
	// ModeAuto: passive, falling back to active when passive fails.
	ModeAuto Mode = iota
	// ModePassive: passive only.
	ModePassive
	// ModeActive: active only.
	ModeActive
)

// ParseMode reads "auto", "passive"/"on" or "active"/"off".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(s) {
	case "auto":
		return ModeAuto, nil
	case "passive", "on":
		return ModePassive, nil
	case "active", "off":
		return ModeActive, nil
	}
	return 0, fmt.Errorf("unknown data mode %q (want auto, passive or active)", s)
}

func (m Mode) String() string {
	switch m {
	case ModePassive:
		return "passive"
	case ModeActive:
		return "active"
	}
	return "auto"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// SetPassive is the passive command: no argument toggles between passive
// and active as tnftp does; on, off and auto set the mode.
func (s *Session) SetPassive(arg string) error {
	m := s.mode()
	switch strings.ToLower(arg) {
	case "":
		if m == ModeActive {
			m = ModeAuto
		} else {
			m = ModeActive
		}
	case "on":
		m = ModePassive
	case "off":
		m = ModeActive
	case "auto":
		m = ModeAuto
	default:
		return fmt.Errorf("passive: unknown argument %q (want on, off or auto)", arg)
	}
	s.opts.Mode = m
	if s.bm != nil {
		s.bm.Mode = nil // the user's word now holds, for this connection too
	}
	s.mu.Lock()
	s.fellBack = false
	s.mu.Unlock()
	s.printf("Passive mode: %s; fallback to active mode: %s.\n", onOff(m != ModeActive), onOff(m == ModeAuto))
	return nil
}

// dataMode is the way the next data connection is opened, on any link:
// the fallback of auto mode holds for all of them.
func (s *Session) dataMode() ftp.DataMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mode()
	if m == ModeActive || (m == ModeAuto && s.fellBack) {
		return ftp.Active
	}
	return ftp.Passive
}

// fallBack makes auto mode use active mode from now on, and reports
// whether it was not so yet (so that one notice is printed, whichever
// link failed first).
func (s *Session) fallBack() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.fellBack
	s.fellBack = true
	return !was
}

// SetEPSV is the epsv command: no argument toggles, on and off set
// whether the extended commands (EPSV, EPRT) are used.
func (s *Session) SetEPSV(arg string) error {
	v, err := toggle(s.opts.EPSV, arg)
	if err != nil {
		return fmt.Errorf("epsv: %w", err)
	}
	s.opts.EPSV = v
	if s.main.conn != nil {
		s.main.conn.SetExtended(v)
	}
	s.printf("EPSV/EPRT: %s.\n", onOff(v))
	return nil
}
