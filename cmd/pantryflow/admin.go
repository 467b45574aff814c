package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// cliActor is who the command line acts as: an admin, since it has the database.
var cliActor = &app.Actor{Email: "cli", Role: auth.RoleAdmin}

func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(`usage: pantryflow user create --email E --role admin|manager|rep [--name N] --password-stdin`)
	}
	var email, role, name string
	var fromStdin bool
	s, _, err := openServerWith(ctx, "user create", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user's email")
		fs.StringVar(&role, "role", "rep", "admin, manager or rep")
		fs.StringVar(&name, "name", "", "the user's name")
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	})
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	if !fromStdin {
		return errors.New("give the password on standard input with --password-stdin (it never goes on the command line)")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	u, err := s.App.Auth.CreateUser(ctx, email, name, auth.Role(role), strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s).\n", u.Email, u.Role)
	return nil
}

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: pantryflow token create --email E [--name N]")
	}
	var email, name string
	s, _, err := openServerWith(ctx, "token create", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user the token acts as")
		fs.StringVar(&name, "name", "command line", "what the token is for")
	})
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	token, err := s.App.Auth.CreateToken(ctx, email, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var draft bool
	var template string
	s, fs, err := openServerWith(ctx, "import", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&draft, "draft", false, "save as a draft instead of publishing")
		fs.StringVar(&template, "template", "", "a built-in template id instead of a file")
	})
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	var saved app.Saved
	switch {
	case template != "":
		saved, err = s.App.ImportTemplate(ctx, cliActor, template, "")
	case fs.NArg() == 1:
		data, rerr := os.ReadFile(fs.Arg(0))
		if rerr != nil {
			return fmt.Errorf("read %s: %w", fs.Arg(0), rerr)
		}
		def, derr := workflow.Decode(data)
		if derr != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), derr)
		}
		saved, err = s.App.CreateWorkflow(ctx, cliActor, def, !draft)
	default:
		return errors.New("usage: pantryflow import [--draft] FILE.json | pantryflow import --template ID")
	}
	if err != nil {
		var verr *app.ValidationError
		if errors.As(err, &verr) {
			for _, d := range verr.Details {
				fmt.Fprintf(stderr, "  %s: %s\n", d.Path, d.Message)
			}
		}
		return err
	}
	fmt.Fprintf(stdout, "Imported %s version %d.\n", saved.ID, saved.Version)
	return nil
}

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var version int
	s, fs, err := openServerWith(ctx, "export", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&version, "version", 0, "the version (default: the active one)")
	})
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	if fs.NArg() != 1 {
		return errors.New("usage: pantryflow export [--version N] ID")
	}
	def, err := s.App.GetDefinition(ctx, fs.Arg(0), version)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(def)
}
