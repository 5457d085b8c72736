"""Item.target points at content.PostTarget: the same table, so the state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0003_posttarget'),
        ('inbox', '0003_network_answers'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='item',
                    name='target',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inbox_items', to='content.posttarget'),
                ),
            ],
            database_operations=[],
        ),
    ]
