//! `cl_status`: heartbeat 3.0.6's status tool, answering from the daemon's admin API with the
//! real tool's output strings and exit codes (checked against `/usr/bin/cl_status` 3.0.6 and
//! its source; where the man page differs, the tool wins).

use hb_api::{ClientError, NodeStatus, Status};

/// Exit code: success.
pub const OK: i32 = 0;
/// Exit code: a "normal" failure (node or link down, heartbeat not running).
pub const NORMAL_FAIL: i32 = 1;
/// Exit code: bad sub-command or arguments.
pub const PARAMETER_ERROR: i32 = 11;
/// Exit code: the daemon did not answer within 5 s.
pub const TIMEOUT: i32 = 12;
/// Exit code: anything else.
pub const UNKNOWN_ERROR: i32 = 13;

/// What one run printed and its exit code. Error lines are bare messages; the caller prefixes
/// them with cl_log's `date host cl_status: [pid]: ERROR: `.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Text for stdout.
    pub stdout: String,
    /// Plain stderr text (getopt-style and "Not enough parameters." messages).
    pub stderr: String,
    /// Lines logged at error level.
    pub errors: Vec<String>,
    /// Exit code.
    pub code: i32,
}

/// The usage text `cl_status` prints with no arguments or `-h`.
pub const USAGE: &str = "Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tShow the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
\tShow the status of a heartbeat link
hbstatus
\tIndicate if heartbeat is running on the local system.
\tOptions:
\t\t-v\tverbose: also add \"listnodes -v\" output
listnodes [<option>]
\tList the nodes in the cluster.
\tOptions:
\t\t-p\tlist only 'ping' type nodes
\t\t-n\tlist only 'normal' type nodes
\t\t-v\tverbose: also list type and status,
\t\t\tthen add \"listhblinks -v\" output
listhblinks <node-name>
\tList the network interfaces used as hearbeat links.
\tOptions:
\t\t-v\tverbose: list link status as well
nodestatus <node-name>
\tList the node status.
nodeweight <node-name>
\tList the node weight.
nodesite <node-name>
\tList the node site.
nodetype <node-name>
\tList the nodes of a given type.
rscstatus
\tShow the status of cluster resources.
hbparameter -p <parameter-name>
\tRetrieve the value of a cluster parameter.
\tAs for the valid parameter names, please refer to the man page.
";

/// What most sub-commands print for a node name the daemon does not know.
const MAYBE: &str = "Error. May be due to incorrect node name\n";

/// Sub-commands with the option letters each accepts (`p:` takes an argument).
const COMMANDS: &[(&str, &str)] = &[
    ("hbstatus", "mv"),
    ("listnodes", "mpnv"),
    ("nodestatus", "m"),
    ("nodeweight", "m"),
    ("nodesite", "m"),
    ("nodetype", "m"),
    ("listhblinks", "mv"),
    ("hblinkstatus", "m"),
    ("clientstatus", "m"),
    ("rscstatus", "m"),
    ("hbparameter", "mp:"),
];

/// Options and operands of one sub-command, getopt-style (options may follow operands).
#[derive(Debug, Default)]
struct Args {
    flags: Vec<char>,
    param: Option<String>,
    operands: Vec<String>,
    bad: Vec<char>,
}

impl Args {
    fn has(&self, flag: char) -> bool {
        self.flags.contains(&flag)
    }
}

fn parse_args(args: &[String], optstr: &str) -> Args {
    let mut out = Args::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            out.operands.extend(iter.by_ref().cloned());
            break;
        }
        let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
            out.operands.push(arg.clone());
            continue;
        };
        for (i, c) in letters.char_indices() {
            match optstr.find(c) {
                Some(pos) if optstr[pos + c.len_utf8()..].starts_with(':') => {
                    let rest = &letters[i + c.len_utf8()..];
                    out.param =
                        if rest.is_empty() { iter.next().cloned() } else { Some(rest.to_owned()) };
                    break;
                }
                Some(_) => out.flags.push(c),
                None => out.bad.push(c),
            }
        }
    }
    out
}

/// Runs `cl_status` with `argv` (without the program name). `fetch` asks the daemon for its
/// status; it is called at most once.
pub fn run(argv: &[String], fetch: impl FnOnce() -> Result<Status, ClientError>) -> Outcome {
    let mut out = Outcome::default();
    let Some(sub) = argv.first() else {
        out.stdout.push_str(USAGE);
        return out;
    };
    if argv.len() == 1 && sub == "-h" {
        out.stdout.push_str(USAGE);
        return out;
    }
    let Some(&(name, optstr)) = COMMANDS.iter().find(|(n, _)| *n == sub.as_str()) else {
        out.errors.push(format!("{sub}: invalid sub-command."));
        out.code = PARAMETER_ERROR;
        return out;
    };
    let args = parse_args(&argv[1..], optstr);
    let status = fetch();
    if name == "hbstatus" {
        hbstatus(&mut out, &args, status);
        return out;
    }
    let status = match status {
        Ok(status) => status,
        Err(err) => {
            signon_failed(&mut out, &err);
            return out;
        }
    };
    for c in &args.bad {
        out.stderr.push_str(&format!("cl_status: invalid option -- '{c}'\n"));
    }
    if !args.bad.is_empty() {
        out.errors.push("Error: getopt returned character ?.".to_owned());
        out.code = PARAMETER_ERROR;
        return out;
    }
    let human = args.has('m');
    let node_arg = args.operands.first().map(String::as_str);
    out.code = match name {
        "listnodes" => {
            listnodes(&mut out, &status, args.has('n'), args.has('p'), args.has('v'), human)
        }
        "nodestatus" => {
            with_node(&mut out, &status, node_arg, "Not enough parameters.\n", MAYBE, |o, n| {
                o.stdout.push_str(&if human {
                    format!("The cluster node {} is {}\n", n.name, n.status)
                } else {
                    format!("{}\n", n.status)
                });
                if matches!(n.status.as_str(), "active" | "up" | "ping") {
                    OK
                } else {
                    NORMAL_FAIL
                }
            })
        }
        "nodeweight" => {
            let unknown = "Error. Maybe due to incorrect node name.\n";
            with_node(&mut out, &status, node_arg, "Not enough parameters.\n", unknown, |o, n| {
                o.stdout.push_str(&if human {
                    format!("The weight of the cluster node {} is {}\n", n.name, n.weight)
                } else {
                    format!("{}\n", n.weight)
                });
                OK
            })
        }
        "nodesite" => {
            with_node(&mut out, &status, node_arg, "Not enough parameters.\n", MAYBE, |o, n| {
                o.stdout.push_str(&if human {
                    format!("The site of the cluster node {} is {}\n", n.name, n.site)
                } else {
                    format!("{}\n", n.site)
                });
                OK
            })
        }
        "nodetype" => {
            with_node(&mut out, &status, node_arg, "No enough parameter.\n", MAYBE, |o, n| {
                o.stdout.push_str(&if human {
                    format!("The node {}'s type: {}\n", n.name, n.node_type)
                } else {
                    format!("{}\n", n.node_type)
                });
                OK
            })
        }
        "listhblinks" => match node_arg {
            None => {
                out.stderr.push_str("No enough parameter.\n");
                PARAMETER_ERROR
            }
            Some(node) => listhblinks(&mut out, &status, node, args.has('v'), human),
        },
        "hblinkstatus" => hblinkstatus(&mut out, &status, &args.operands, human),
        "clientstatus" => {
            if args.operands.len() < 2 {
                out.stderr.push_str("No enough parameter.\n");
                PARAMETER_ERROR
            } else {
                // heartbeat-rs has no API clients (ipfail, ccm…): every query gets the answer
                // heartbeat gives for a client that does not answer.
                out.errors
                    .push(format!("Cannot get heartbeat client {}'s status", args.operands[1]));
                out.errors.push("REASON: No timely response.".to_owned());
                UNKNOWN_ERROR
            }
        }
        "rscstatus" => {
            out.stdout.push_str(&if human {
                format!("This node is holding {} resources.\n", status.rsc_status)
            } else {
                format!("{}\n", status.rsc_status)
            });
            OK
        }
        "hbparameter" => hbparameter(&mut out, &status, args.param.as_deref(), human),
        _ => UNKNOWN_ERROR,
    };
    out
}

fn signon_failed(out: &mut Outcome, err: &ClientError) {
    out.errors.push("Cannot signon with heartbeat".to_owned());
    out.errors.push(match err {
        ClientError::Connect { .. } => {
            "REASON: hb_api_signon: Can't initiate connection to heartbeat".to_owned()
        }
        ClientError::Malformed(what) if what.starts_with("refused: ") => {
            format!("REASON: heartbeat {what}")
        }
        other => format!("REASON: {other}"),
    });
    out.code = if matches!(err, ClientError::Timeout) { TIMEOUT } else { NORMAL_FAIL };
}

fn hbstatus(out: &mut Outcome, args: &Args, status: Result<Status, ClientError>) {
    let verbose = args.has('v');
    let human = args.has('m');
    let status = match status {
        Ok(status) => status,
        Err(ClientError::Timeout) => {
            out.code = TIMEOUT;
            return;
        }
        Err(err) => {
            out.stdout.push_str("Heartbeat is stopped on this machine.\n");
            if verbose {
                out.stdout.push_str(&format!("({err})\n"));
            }
            out.code = NORMAL_FAIL;
            return;
        }
    };
    if !verbose {
        out.stdout.push_str("Heartbeat is running on this machine.\n");
        return;
    }
    // heartbeat prints its `hbversion` parameter here, the same text `hbparameter -p
    // hbversion` shows.
    let version = status.parameters.get("hbversion").unwrap_or(&status.version);
    if human {
        out.stdout.push_str(&format!("Heartbeat version {version}\n"));
        out.stdout.push_str("Resources controlled by \"haresources\"\n");
    } else {
        out.stdout.push_str(&format!("version:\t{version}\n"));
        out.stdout.push_str("managed by:\t\"haresources\"\n");
    }
    listnodes(out, &status, false, false, true, human);
}

fn listnodes(
    out: &mut Outcome,
    status: &Status,
    normal_only: bool,
    ping_only: bool,
    verbose: bool,
    human: bool,
) -> i32 {
    let (normal_only, ping_only) =
        if normal_only && ping_only { (false, false) } else { (normal_only, ping_only) };
    if human {
        out.stdout.push_str("The nodes are as follow:\n");
    }
    for node in &status.nodes {
        if (normal_only && node.node_type != "normal") || (ping_only && node.node_type != "ping") {
            continue;
        }
        if verbose {
            out.stdout.push_str(&format!(
                "\n{}\t{}\t(nodetype: {})\n",
                node.name, node.status, node.node_type
            ));
            print_links(out, node, true, human);
        } else {
            out.stdout.push_str(&format!("{}\n", node.name));
        }
    }
    OK
}

fn print_links(out: &mut Outcome, node: &NodeStatus, verbose: bool, human: bool) {
    if human {
        out.stdout.push_str("\tthis node has the following heartbeat links:\n");
    }
    for link in &node.links {
        if verbose {
            out.stdout.push_str(&format!("\t{}\t{}\n", link.name, link.status));
        } else {
            out.stdout.push_str(&format!("\t{}\n", link.name));
        }
    }
}

fn listhblinks(out: &mut Outcome, status: &Status, node: &str, verbose: bool, human: bool) -> i32 {
    match status.nodes.iter().find(|n| n.name == node) {
        Some(n) => {
            print_links(out, n, verbose, human);
            OK
        }
        None => {
            out.errors.push("Cannot start heartbeat link interface walk.".to_owned());
            out.errors.push(format!("REASON: unknown node {node}"));
            UNKNOWN_ERROR
        }
    }
}

fn hblinkstatus(out: &mut Outcome, status: &Status, operands: &[String], human: bool) -> i32 {
    let [node, link, ..] = operands else {
        out.stderr.push_str("No enough parameter.\n");
        return PARAMETER_ERROR;
    };
    let found = status
        .nodes
        .iter()
        .find(|n| &n.name == node)
        .and_then(|n| n.links.iter().find(|l| &l.name == link));
    let Some(l) = found else {
        out.errors.push("Cannot get heartbeat link status".to_owned());
        out.errors.push(format!("REASON: no link {link} to node {node}"));
        return UNKNOWN_ERROR;
    };
    out.stdout.push_str(&if human {
        format!("The node {node}'s heartbeat link {link} is {}\n", l.status)
    } else {
        format!("{}\n", l.status)
    });
    if l.status == "up" {
        OK
    } else {
        NORMAL_FAIL
    }
}

fn hbparameter(out: &mut Outcome, status: &Status, name: Option<&str>, human: bool) -> i32 {
    let Some(name) = name else {
        out.errors.push("parameter name required".to_owned());
        return PARAMETER_ERROR;
    };
    match status.parameters.get(name) {
        Some(value) => {
            out.stdout.push_str(&if human {
                format!("Heartbeat parameter {name}'s value: {value}\n")
            } else {
                format!("{value}\n")
            });
            OK
        }
        None => {
            out.errors.push(format!("Cannot get parameter {name}'s value"));
            out.errors.push("REASON: parameter not set".to_owned());
            NORMAL_FAIL
        }
    }
}

fn with_node(
    out: &mut Outcome,
    status: &Status,
    node: Option<&str>,
    missing: &str,
    unknown: &str,
    show: impl FnOnce(&mut Outcome, &NodeStatus) -> i32,
) -> i32 {
    let Some(node) = node else {
        out.stderr.push_str(missing);
        return PARAMETER_ERROR;
    };
    match status.nodes.iter().find(|n| n.name == node) {
        Some(n) => show(out, n),
        None => {
            out.stderr.push_str(unknown);
            PARAMETER_ERROR
        }
    }
}

#[cfg(test)]
#[path = "cl_status_test.rs"]
mod tests;
