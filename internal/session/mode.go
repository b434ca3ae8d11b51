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
	switch strings.ToLower(arg) {
	case "":
		if s.mode == ModeActive {
			s.mode = ModeAuto
		} else {
			s.mode = ModeActive
		}
	case "on":
		s.mode = ModePassive
	case "off":
		s.mode = ModeActive
	case "auto":
		s.mode = ModeAuto
	default:
		return fmt.Errorf("passive: unknown argument %q (want on, off or auto)", arg)
	}
	s.fellBack = false
	s.printf("Passive mode: %s; fallback to active mode: %s.\n", onOff(s.mode != ModeActive), onOff(s.mode == ModeAuto))
	return nil
}

// dataMode is the way the next data connection is opened.
func (s *Session) dataMode() ftp.DataMode {
	if s.mode == ModeActive || (s.mode == ModeAuto && s.fellBack) {
		return ftp.Active
	}
	return ftp.Passive
}

// SetEPSV is the epsv command: no argument toggles, on and off set
// whether the extended commands (EPSV, EPRT) are used.
func (s *Session) SetEPSV(arg string) error {
	v, err := toggle(s.extended, arg)
	if err != nil {
		return fmt.Errorf("epsv: %w", err)
	}
	s.extended = v
	if s.conn != nil {
		s.conn.SetExtended(v)
	}
	s.printf("EPSV/EPRT: %s.\n", onOff(v))
	return nil
}
