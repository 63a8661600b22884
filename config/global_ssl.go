package config

import "github.com/hashicorp/hcl/v2/hclsyntax"

// SSL is the global ssl block, keepalived's top-level SSL: the client certificate every
// ssl_get presents when a real server asks for one, and the roots that ssl_get checkers with
// tls_verify = true trust when they name no ca_file (keepalived loads ca but never verifies).
type SSL struct {
	CA          string // ca: PEM file of trusted roots
	Certificate string // certificate: PEM certificate chain
	Key         string // key: PEM private key
	Password    string // password: decrypts an encrypted key
	Source      Source
}

// ssl decodes global's ssl block.
func (d *decoder) ssl(blk *hclsyntax.Block) *SSL {
	if len(blk.Labels) > 0 {
		d.errorf(blk.LabelRanges[0], "ssl takes no name: write ssl { ... }")
	}
	b := d.open("ssl", blk.Body, blk.DefRange(), schema{attrs: []string{"ca", "certificate", "key", "password"}})
	s := &SSL{Source: b.src}
	for name, dst := range map[string]*string{"ca": &s.CA, "certificate": &s.Certificate, "key": &s.Key, "password": &s.Password} {
		if b.str(name, dst) && *dst == "" {
			b.errorf(name, "%s must not be empty", name)
		}
	}
	switch {
	case s.Certificate != "" && s.Key == "":
		b.errorf("certificate", "certificate needs key = \"/path/to/key.pem\" (the certificate's private key)")
	case s.Key != "" && s.Certificate == "":
		b.errorf("key", "key needs certificate = \"/path/to/cert.pem\"")
	case s.Password != "" && s.Key == "":
		b.errorf("password", "password decrypts the key; it needs key and certificate")
	}
	return s
}
