//! `hindcast user …`: manage accounts straight in the database the server uses (same
//! `DATABASE_URL` or settings file), for the first admin and for when nobody can log in.

use app::auth::ops;
use app::auth::password::Password;
use app::auth::{Role, UserName};
use app::error::HindcastError;
use app::store::Store;
use clap::{Args, Subcommand};
use std::io::Read;

#[derive(Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (a viewer unless told otherwise).
    Add {
        name: String,
        /// viewer, operator or admin.
        #[arg(long, default_value = "viewer", conflicts_with = "admin")]
        role: String,
        /// Same as `--role admin`.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (its first line). Without it the account
        /// has no local password and logs in through CAS, GitHub or OpenID Connect only.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts: name, role, whether they have a local password, when created.
    List {
        /// As a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account (never the last admin).
    Remove { name: String },
    /// Change an account's role (never demoting the last admin).
    SetRole { name: String, role: String },
    /// Set a new local password, read from standard input.
    ResetPassword {
        name: String,
        /// Required: passwords are never taken from the command line, where others can read them.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Runs the command against the store; the text to print, or the error for standard error.
pub async fn main(args: UserArgs, store: &dyn Store) -> Result<String, HindcastError> {
    // Whoever can reach the database is its administrator; the audit log names them.
    let os_user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").map_or_else(|_| "unknown".into(), |m| format!("uid {}", m.uid()))
    });
    let actor = &app::actor::Actor::local(format!("cli:{os_user}"));
    match args.command {
        UserCommand::Add { name, role, admin, password_stdin } => {
            let name = UserName::parse(&name)?;
            let role = if admin { Role::Admin } else { Role::parse(&role)? };
            let password = if password_stdin { Some(read_password()?) } else { None };
            let user = ops::add_user(store, actor, &name, role, password).await?;
            Ok(format!("created {} ({})", user.name, user.role))
        }
        UserCommand::List { json } => {
            let users = ops::list_users(store, actor).await?;
            if json {
                return serde_json::to_string_pretty(&users).map_err(|_| HindcastError::Internal);
            }
            let mut out = format!("{:<32} {:<9} {:<9} {}", "NAME", "ROLE", "PASSWORD", "CREATED");
            for u in users {
                let password = if u.local_password { "local" } else { "external" };
                out.push_str(&format!("\n{:<32} {:<9} {:<9} {}", u.name, u.role, password, u.created_at));
            }
            Ok(out)
        }
        UserCommand::Remove { name } => {
            let name = UserName::parse(&name)?;
            ops::remove_user(store, actor, &name).await?;
            Ok(format!("removed {name}"))
        }
        UserCommand::SetRole { name, role } => {
            let user = ops::set_role(store, actor, &UserName::parse(&name)?, Role::parse(&role)?).await?;
            Ok(format!("{} is now {}", user.name, user.role))
        }
        UserCommand::ResetPassword { name, .. } => {
            let name = UserName::parse(&name)?;
            let user = ops::reset_password(store, actor, &name, read_password()?).await?;
            Ok(format!("new password set for {}", user.name))
        }
    }
}

/// The first line of standard input, checked against the password policy.
fn read_password() -> Result<Password, HindcastError> {
    let mut text = String::new();
    std::io::stdin()
        .take(app::auth::password::MAX_LEN as u64 + 2)
        .read_to_string(&mut text)
        .map_err(|err| HindcastError::invalid("password", format!("could not be read from standard input: {err}")))?;
    Password::parse(text.lines().next().unwrap_or_default())
}
