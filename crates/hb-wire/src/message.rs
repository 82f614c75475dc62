//! The message model: an ordered list of named, typed fields (spec §1).

/// The value of one field. The variant is the field's wire type code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Type 0: text without NUL bytes. Kept as bytes; heartbeat never requires UTF-8.
    Str(Vec<u8>),
    /// Type 1: arbitrary bytes (base64 in classic format, raw in netstring format).
    Bin(Vec<u8>),
    /// Type 2: a nested message.
    Struct(Message),
    /// Type 3: a list of non-empty strings.
    List(Vec<Vec<u8>>),
}

impl Value {
    /// The single-digit wire type code of this value.
    pub fn type_code(&self) -> u8 {
        match self {
            Value::Str(_) => 0,
            Value::Bin(_) => 1,
            Value::Struct(_) => 2,
            Value::List(_) => 3,
        }
    }
}

/// One named field of a [`Message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Field name: non-empty, without `=`, newline or NUL, not starting with `(`.
    pub name: String,
    /// Field value.
    pub value: Value,
}

/// A heartbeat message: fields in wire order. Duplicate names are allowed; every lookup
/// returns the first field with that name, as heartbeat does.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Message {
    fields: Vec<Field>,
}

impl Message {
    /// An empty message.
    pub fn new() -> Message {
        Message { fields: Vec::new() }
    }

    /// All fields, in wire order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the message has no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|f| f.name == name).map(|f| &f.value)
    }

    /// The first field called `name`, if it is a string field holding valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Str(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// The first field called `name`, if it is a binary field.
    pub fn get_bin(&self, name: &str) -> Option<&[u8]> {
        match self.get(name)? {
            Value::Bin(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Appends a field with any value.
    pub fn push(&mut self, name: &str, value: Value) {
        self.fields.push(Field { name: name.to_owned(), value });
    }

    /// Appends a string field.
    pub fn push_str(&mut self, name: &str, value: &str) {
        self.push(name, Value::Str(value.as_bytes().to_vec()));
    }

    /// Appends a binary field.
    pub fn push_bin(&mut self, name: &str, value: &[u8]) {
        self.push(name, Value::Bin(value.to_vec()));
    }

    /// Replaces the first field called `name` in place by a string field, or appends one
    /// (heartbeat's "modify" semantics).
    pub fn set_str(&mut self, name: &str, value: &str) {
        let new = Value::Str(value.as_bytes().to_vec());
        match self.fields.iter_mut().find(|f| f.name == name) {
            Some(field) => field.value = new,
            None => self.push(name, new),
        }
    }

    /// Removes the first field called `name` and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let pos = self.fields.iter().position(|f| f.name == name)?;
        Some(self.fields.remove(pos).value)
    }

    /// The message type: the `t` field.
    pub fn msg_type(&self) -> Option<&str> {
        self.get_str("t")
    }

    pub(crate) fn push_field(&mut self, field: Field) {
        self.fields.push(field);
    }

    pub(crate) fn remove_all(&mut self, name: &str) {
        self.fields.retain(|f| f.name != name);
    }
}

impl FromIterator<Field> for Message {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> Self {
        Message { fields: iter.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_return_first_and_set_replaces_in_place() {
        let mut m = Message::new();
        m.push_str("t", "status");
        m.push_str("x", "1");
        m.push_bin("u", &[0, 1]);
        m.push_str("x", "2");
        assert_eq!(m.get_str("x"), Some("1"));
        assert_eq!(m.get_bin("u"), Some(&[0u8, 1][..]));
        assert_eq!(m.get_str("u"), None);
        m.set_str("x", "3");
        assert_eq!(m.fields()[1].value, Value::Str(b"3".to_vec()));
        assert_eq!(m.fields()[3].value, Value::Str(b"2".to_vec()));
        m.set_str("y", "new");
        assert_eq!(m.fields().last().map(|f| f.name.as_str()), Some("y"));
        assert_eq!(m.remove("x"), Some(Value::Str(b"3".to_vec())));
        assert_eq!(m.get_str("x"), Some("2"));
        assert_eq!(m.msg_type(), Some("status"));
        assert_eq!(m.len(), 4);
    }
}
