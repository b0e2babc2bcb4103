package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/cli"
	"zhihui/internal/period"
)

func init() {
	register("user", "manage users: add, list, token, grant, revoke, passwd, disable, enable", runUser)
}

const userUsage = `usage:
  zhihui user add NAME --role ROLE --org CODE [--display NAME] --password-stdin
  zhihui user list
  zhihui user token NAME [--name LABEL] [--expires 90d|12h|2027-06-30|never]
  zhihui user token NAME --list
  zhihui user token NAME --revoke ID
  zhihui user grant NAME --role ROLE --org CODE
  zhihui user revoke NAME --role ROLE --org CODE
  zhihui user passwd NAME --password-stdin
  zhihui user disable|enable NAME
roles: admin, office, reporter, approver, leader, expert, evaluator, enterprise
all take --data DIR or --db DSN`

var cliActor = audit.Actor{Name: "cli"}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input")
	}
	return pw, nil
}

func runUser(args []string) error {
	if len(args) == 0 {
		return errors.New(userUsage)
	}
	sub, args := args[0], args[1:]
	var name string
	if sub != "list" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return errors.New(userUsage)
		}
		name, args = args[0], args[1:]
	}
	var c app.Config
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	c.StoreFlags(fs)
	role := fs.String("role", "", "role")
	org := fs.String("org", "", "org unit code")
	display := fs.String("display", "", "display name")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input")
	label := fs.String("name", "cli", "token label")
	expires := fs.String("expires", "90d", "token lifetime: a duration (90d, 12h), a date (YYYY-MM-DD, Asia/Shanghai) or never")
	listTokens := fs.Bool("list", false, "list the user's tokens")
	revokeID := fs.Int64("revoke", 0, "revoke the token with this ID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	lookup := func() (*auth.User, error) {
		u, err := auth.UserByName(ctx, a.DB, name)
		if err != nil {
			return nil, fmt.Errorf("no user %q", name)
		}
		return u, nil
	}
	switch sub {
	case "add":
		r, err := auth.ParseRole(*role)
		if err != nil || *org == "" {
			return fmt.Errorf("--role and --org are required\n%s", userUsage)
		}
		if !*stdin {
			return errors.New("give the password on standard input with --password-stdin")
		}
		pw, err := readPassword(os.Stdin)
		if err != nil {
			return err
		}
		u, err := auth.CreateUser(ctx, a.DB, cliActor, auth.NewUser{Name: name, DisplayName: *display, Password: pw})
		if err != nil {
			return err
		}
		if err := auth.AddGrant(ctx, a.DB, cliActor, u.ID, r, *org); err != nil {
			return err
		}
		fmt.Printf("created user %s (id %d) as %s at %s\n", u.Name, u.ID, r, *org)
	case "list":
		us, err := auth.ListUsers(ctx, a.DB, nil)
		if err != nil {
			return err
		}
		t := cli.NewTable("ID", "NAME", "DISPLAY", "STATUS", "ROLES")
		for _, u := range us {
			var gs []string
			for _, g := range u.Grants {
				gs = append(gs, string(g.Role)+"@"+g.OrgCode)
			}
			st := "active"
			if u.Disabled {
				st = "disabled"
			}
			t.Row(u.ID, u.Name, u.DisplayName, st, strings.Join(gs, " "))
		}
		return t.Flush()
	case "token":
		u, err := lookup()
		if err != nil {
			return err
		}
		switch {
		case *listTokens:
			ts, err := auth.Tokens(ctx, a.DB, u.ID)
			if err != nil {
				return err
			}
			tab := cli.NewTable("ID", "NAME", "CREATED", "LAST USED", "EXPIRES")
			now := time.Now()
			for _, t := range ts {
				last, exp := "-", "never"
				if t.LastUsed != nil {
					last = t.LastUsed.In(period.Shanghai).Format("2006-01-02 15:04")
				}
				if t.ExpiresAt != nil {
					exp = t.ExpiresAt.In(period.Shanghai).Format("2006-01-02 15:04")
					if t.Expired(now) {
						exp += " (expired)"
					}
				}
				tab.Row(t.ID, t.Name, t.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04"), last, exp)
			}
			return tab.Flush()
		case *revokeID != 0:
			if err := auth.RevokeToken(ctx, a.DB, cliActor, u.ID, *revokeID); err != nil {
				return fmt.Errorf("revoke token %d of %s: %w", *revokeID, u.Name, err)
			}
			fmt.Printf("revoked token %d of %s\n", *revokeID, u.Name)
		default:
			exp, err := auth.ParseExpiry(*expires, time.Now())
			if err != nil {
				return err
			}
			t, err := auth.CreateToken(ctx, a.DB, cliActor, u.ID, *label, exp)
			if err != nil {
				return err
			}
			fmt.Println(t)
		}
	case "grant", "revoke":
		u, err := lookup()
		if err != nil {
			return err
		}
		r, err := auth.ParseRole(*role)
		if err != nil || *org == "" {
			return fmt.Errorf("--role and --org are required\n%s", userUsage)
		}
		if sub == "grant" {
			err = auth.AddGrant(ctx, a.DB, cliActor, u.ID, r, *org)
		} else {
			err = auth.RemoveGrant(ctx, a.DB, cliActor, u.ID, r, *org)
		}
		if err != nil {
			return err
		}
		fmt.Printf("%s: %s %s at %s\n", u.Name, sub, r, *org)
	case "passwd":
		u, err := lookup()
		if err != nil {
			return err
		}
		if !*stdin {
			return errors.New("give the password on standard input with --password-stdin")
		}
		pw, err := readPassword(os.Stdin)
		if err != nil {
			return err
		}
		if err := auth.SetPassword(ctx, a.DB, cliActor, u.ID, nil, pw, ""); err != nil {
			return err
		}
		fmt.Printf("password of %s changed\n", u.Name)
	case "disable", "enable":
		u, err := lookup()
		if err != nil {
			return err
		}
		if err := auth.SetDisabled(ctx, a.DB, cliActor, u.ID, sub == "disable"); err != nil {
			return err
		}
		fmt.Printf("%s %sd\n", u.Name, sub)
	default:
		return errors.New(userUsage)
	}
	return nil
}
