"""Field types, one module each, collected in one registry (DESIGN §4)."""

from baas.collections.fields.autodate import AutodateField
from baas.collections.fields.base import REGISTRY, FieldType, get_field_type, register
from baas.collections.fields.boolean import BoolField
from baas.collections.fields.date import DateField
from baas.collections.fields.editor import EditorField
from baas.collections.fields.email import EmailField
from baas.collections.fields.file import FileField
from baas.collections.fields.geopoint import GeoPointField
from baas.collections.fields.json import JsonField
from baas.collections.fields.number import NumberField
from baas.collections.fields.password import PasswordField
from baas.collections.fields.relation import RelationField
from baas.collections.fields.select import SelectField
from baas.collections.fields.text import TextField
from baas.collections.fields.url import UrlField

for _cls in (
    TextField,
    NumberField,
    BoolField,
    EmailField,
    UrlField,
    EditorField,
    DateField,
    AutodateField,
    SelectField,
    JsonField,
    FileField,
    RelationField,
    PasswordField,
    GeoPointField,
):
    register(_cls())

__all__ = ["REGISTRY", "FieldType", "get_field_type", "register"]
